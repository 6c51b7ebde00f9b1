package types

// Authorisation answers whether an account may act as an issuer right now
// (write records for patients, for instance) and for which organisation. It
// is what Keeper.IsAuthorised returns and what the IsAuthorised query shows.
type Authorisation struct {
	// Authorised is true for an ACTIVE organisation acting for itself and
	// for a practitioner of an ACTIVE organisation.
	Authorised bool

	// Organisation is the bech32 address of the organisation the account
	// acts for: itself, or its organisation when it is a practitioner. It is
	// set even when Authorised is false, if the account is known; empty for
	// an account that is neither an issuer nor a practitioner.
	Organisation string

	// Kind is the organisation's kind.
	Kind IssuerKind

	// Role is the practitioner's role; UNSPECIFIED for the organisation
	// itself.
	Role PractitionerRole

	// Reason says why Authorised is false, in words a user can act on.
	// Empty when Authorised is true.
	Reason string
}
