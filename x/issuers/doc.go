// Package issuers is the registry of trusted issuers: the hospitals, clinics,
// labs, insurers and research organisations admitted by governance, and the
// practitioners who act for them. Other modules and validator gating ask it
// who may write records and who may run a validator.
package issuers
