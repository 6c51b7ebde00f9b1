package types

import (
	"regexp"
	"strings"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

var classIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{2,63}$`)

// ValidateClassID checks a data-NFT class id: 3 to 64 characters of
// lower-case letters, digits and dashes, starting with a letter, and not in
// the reserved "medchain-" namespace (the identity class lives there). The
// id is public: it names a collection, never a patient.
func ValidateClassID(id string) error {
	if !classIDPattern.MatchString(id) {
		return errorsmod.Wrapf(ErrInvalidClass, "class id %q must be 3-64 lower-case letters, digits or dashes, starting with a letter", id)
	}
	if strings.HasPrefix(id, "medchain-") {
		return errorsmod.Wrapf(ErrInvalidClass, "class id %q is in the reserved medchain- namespace", id)
	}
	return nil
}

// ValidatePrice checks a price or licence price: a valid coin, zero
// allowed where allowZero (a free licence).
func ValidatePrice(what string, c sdk.Coin, allowZero bool) error {
	if err := c.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidTerms, "%s %s: %s", what, c, err)
	}
	if !allowZero && c.IsZero() {
		return errorsmod.Wrapf(ErrInvalidTerms, "%s must be more than zero", what)
	}
	return nil
}

// ValidateTerms checks a data-NFT's royalty and licence terms against the
// params.
func ValidateTerms(royaltyBps uint32, licencePrice sdk.Coin, licenceDuration time.Duration, p Params) error {
	if royaltyBps > p.MaxRoyaltyBps {
		return errorsmod.Wrapf(ErrInvalidTerms, "royalty %d bps is above the chain's maximum of %d bps", royaltyBps, p.MaxRoyaltyBps)
	}
	if err := ValidatePrice("licence price", licencePrice, true); err != nil {
		return err
	}
	if licenceDuration <= 0 {
		return errorsmod.Wrap(ErrInvalidTerms, "licence duration must be positive")
	}
	if licenceDuration > p.MaxLicenceDuration {
		return errorsmod.Wrapf(ErrInvalidTerms, "licence duration %s is longer than the chain's maximum of %s", licenceDuration, p.MaxLicenceDuration)
	}
	return nil
}

// SplitRoyalty divides a payment between the seller (or licence payee) and
// the producer: the producer gets floor(amount × bps / 10000), the seller
// the rest. The two parts always add up to the payment, so no coin is made
// or lost by rounding.
func SplitRoyalty(payment sdk.Coin, bps uint32) (toSeller, toProducer sdk.Coin) {
	royalty := payment.Amount.Mul(math.NewIntFromUint64(uint64(bps))).Quo(math.NewIntFromUint64(uint64(BpsDenominator)))
	return sdk.NewCoin(payment.Denom, payment.Amount.Sub(royalty)), sdk.NewCoin(payment.Denom, royalty)
}
