// Package issuers is the registry of trusted issuers: the hospitals, clinics,
// labs, insurers and research organisations admitted by governance, and the
// practitioners who act for them. Other modules ask it who may write records
// (Keeper.IsAuthorised), and it decides who may validate.
//
// Governance (the gov module account) registers issuers and suspends,
// reinstates or revokes them; an ACTIVE organisation adds and removes its own
// practitioners and edits its name and website. A practitioner's status is
// derived from its organisation's, so suspending an organisation makes all
// of its practitioners inactive in the same block without touching them.
//
// Only ACTIVE hospitals validate. The module's staking hook rejects
// MsgCreateValidator (and gentxs) from any other operator, and a hospital
// that governance suspends or revokes has its validator jailed with the
// staking keeper's Jail, the mechanism x/slashing uses for downtime. The
// module's EndBlocker, ordered before staking's, jails it again if it is
// unjailed while the hospital is not ACTIVE. See README.md.
package issuers
