package types

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"
)

// Bounds on free-text fields. Names are bounded by Params.max_name_length.
const (
	// MaxJurisdictionLength bounds Issuer.jurisdiction, in bytes.
	MaxJurisdictionLength = 64
	// MaxLicenseIDLength bounds Issuer.license_id, in bytes.
	MaxLicenseIDLength = 128
	// MaxWebsiteLength bounds Issuer.website, in bytes.
	MaxWebsiteLength = 256
	// MaxReasonLength bounds MsgSetIssuerStatus.reason, in bytes.
	MaxReasonLength = 512
)

// ValidateName checks an organisation's display name: not blank, at most
// maxLen bytes, printable, without surrounding spaces.
func ValidateName(name string, maxLen uint32) error {
	if strings.TrimSpace(name) == "" {
		return errorsmod.Wrap(ErrInvalidName, "name must not be empty")
	}
	if uint64(len(name)) > uint64(maxLen) {
		return errorsmod.Wrapf(ErrInvalidName, "name is %d bytes long; the limit (params max_name_length) is %d", len(name), maxLen)
	}
	return checkText(ErrInvalidName, "name", name)
}

// ValidateJurisdiction checks an optional jurisdiction such as "DE-BY".
func ValidateJurisdiction(jurisdiction string) error {
	if len(jurisdiction) > MaxJurisdictionLength {
		return errorsmod.Wrapf(ErrInvalidJurisdiction, "jurisdiction is %d bytes long; the limit is %d", len(jurisdiction), MaxJurisdictionLength)
	}
	return checkText(ErrInvalidJurisdiction, "jurisdiction", jurisdiction)
}

// ValidateLicenseID checks an optional licence or registration number.
func ValidateLicenseID(licenseID string) error {
	if len(licenseID) > MaxLicenseIDLength {
		return errorsmod.Wrapf(ErrInvalidLicenseID, "license_id is %d bytes long; the limit is %d", len(licenseID), MaxLicenseIDLength)
	}
	return checkText(ErrInvalidLicenseID, "license_id", licenseID)
}

// ValidateReason checks the optional reason of a status change.
func ValidateReason(reason string) error {
	if len(reason) > MaxReasonLength {
		return errorsmod.Wrapf(ErrInvalidReason, "reason is %d bytes long; the limit is %d", len(reason), MaxReasonLength)
	}
	return checkText(ErrInvalidReason, "reason", reason)
}

// ValidateWebsite checks an optional website: empty, or an absolute http or
// https URL with a host and no user information (which could make
// "https://hospital.example@evil.example" look trustworthy).
func ValidateWebsite(website string) error {
	if website == "" {
		return nil
	}
	if len(website) > MaxWebsiteLength {
		return errorsmod.Wrapf(ErrInvalidWebsite, "website is %d bytes long; the limit is %d", len(website), MaxWebsiteLength)
	}
	if strings.ContainsFunc(website, unicode.IsSpace) {
		return errorsmod.Wrapf(ErrInvalidWebsite, "%q contains spaces", website)
	}
	u, err := url.Parse(website)
	if err != nil {
		return errorsmod.Wrapf(ErrInvalidWebsite, "%q is not a URL: %s", website, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errorsmod.Wrapf(ErrInvalidWebsite, "%q must start with https:// or http://", website)
	}
	if u.Host == "" || u.Hostname() == "" {
		return errorsmod.Wrapf(ErrInvalidWebsite, "%q has no host name", website)
	}
	if u.User != nil {
		return errorsmod.Wrapf(ErrInvalidWebsite, "%q must not contain a user name or password", website)
	}
	return nil
}

// VaultURLNone is the vault URL value of MsgUpdateIssuerProfile that
// withdraws the organisation's vault.
const VaultURLNone = "none"

// ValidateVaultURL checks an optional vault URL: empty, or an absolute
// http or https URL with a host, no user information, query or fragment
// (clients append /ipfs/CID to it). http is allowed for vaults on a
// hospital's private network or loopback.
func ValidateVaultURL(vaultURL string) error {
	if vaultURL == "" {
		return nil
	}
	if len(vaultURL) > MaxWebsiteLength {
		return errorsmod.Wrapf(ErrInvalidVaultURL, "vault URL is %d bytes long; the limit is %d", len(vaultURL), MaxWebsiteLength)
	}
	if strings.ContainsFunc(vaultURL, unicode.IsSpace) {
		return errorsmod.Wrapf(ErrInvalidVaultURL, "%q contains spaces", vaultURL)
	}
	u, err := url.Parse(vaultURL)
	switch {
	case err != nil:
		return errorsmod.Wrapf(ErrInvalidVaultURL, "%q is not a URL: %s", vaultURL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return errorsmod.Wrapf(ErrInvalidVaultURL, "%q must start with https:// or http://", vaultURL)
	case u.Hostname() == "":
		return errorsmod.Wrapf(ErrInvalidVaultURL, "%q has no host name", vaultURL)
	case u.User != nil:
		return errorsmod.Wrapf(ErrInvalidVaultURL, "%q must not contain a user name or password", vaultURL)
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(vaultURL, "?") || strings.HasSuffix(vaultURL, "#"):
		return errorsmod.Wrapf(ErrInvalidVaultURL, "%q must not have a query or fragment: clients append /ipfs/CID to it", vaultURL)
	}
	return nil
}

// checkText rejects text that would display misleadingly: invalid UTF-8,
// control characters, or leading or trailing spaces.
func checkText(kind *errorsmod.Error, field, s string) error {
	if !utf8.ValidString(s) {
		return errorsmod.Wrapf(kind, "%s is not valid UTF-8", field)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return errorsmod.Wrapf(kind, "%s %q contains control characters (newlines, tabs, ...)", field, s)
	}
	if strings.TrimSpace(s) != s {
		return errorsmod.Wrapf(kind, "%s %q has leading or trailing spaces", field, s)
	}
	return nil
}
