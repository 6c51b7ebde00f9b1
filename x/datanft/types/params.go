package types

import (
	"time"

	errorsmod "cosmossdk.io/errors"
)

// Default parameters and hard caps.
const (
	DefaultMaxRoyaltyBps        uint32 = 1000 // 10 %
	DefaultLicenceTimeoutBlocks int64  = 600  // about an hour at 6 s blocks
	DefaultMaxLicenceDuration          = 365 * 24 * time.Hour
	DefaultMaxRefundsPerBlock   uint32 = 500

	// BpsDenominator is 100 % in basis points.
	BpsDenominator uint32 = 10_000
)

// DefaultParams returns the parameters a new chain starts with.
func DefaultParams() Params {
	return Params{
		MaxRoyaltyBps:        DefaultMaxRoyaltyBps,
		LicenceTimeoutBlocks: DefaultLicenceTimeoutBlocks,
		MaxLicenceDuration:   DefaultMaxLicenceDuration,
		MaxRefundsPerBlock:   DefaultMaxRefundsPerBlock,
	}
}

// Validate reports whether p can be put in force.
func (p Params) Validate() error {
	switch {
	case p.MaxRoyaltyBps > BpsDenominator:
		return errorsmod.Wrapf(ErrInvalidParams, "max_royalty_bps %d is above 10000 (100 %%)", p.MaxRoyaltyBps)
	case p.LicenceTimeoutBlocks <= 0:
		return errorsmod.Wrap(ErrInvalidParams, "licence_timeout_blocks must be positive, or no licence could be fulfilled")
	case p.MaxLicenceDuration <= 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_licence_duration must be positive")
	case p.MaxRefundsPerBlock == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_refunds_per_block must be greater than 0, or licences would never be refunded")
	}
	return nil
}
