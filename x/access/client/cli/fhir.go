package cli

import (
	"time"

	"github.com/medchain/medchain/medclient/consent"
	"github.com/medchain/medchain/x/access/types"
)

// consentGrant is what package consent needs of a grant.
func consentGrant(g types.Grant) consent.Grant {
	c := consent.Grant{
		ID: g.Id, Owner: g.Owner, Grantee: g.Grantee, RecordID: g.RecordId,
		Permission: g.Permission.Label(), Purpose: g.Purpose.Label(),
		CreatedAt: g.CreatedAt, ExpiresAt: g.ExpiresAt,
	}
	for _, k := range g.Kinds {
		c.Kinds = append(c.Kinds, k.Label())
	}
	return c
}

// ConsentOf expresses a grant as a FHIR R4 Consent (see consent.Of).
func ConsentOf(g types.Grant, now time.Time) consent.Consent {
	return consent.Of(consentGrant(g), now)
}

// ConsentBundle puts the grants' Consents in a collection Bundle.
func ConsentBundle(grants []types.Grant, now time.Time) consent.Bundle {
	cs := make([]consent.Grant, 0, len(grants))
	for _, g := range grants {
		cs = append(cs, consentGrant(g))
	}
	return consent.NewBundle(cs, now)
}
