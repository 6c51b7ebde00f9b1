package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of the records module. Codes are part of the public API:
// clients match on them, so never change or reuse a code.
var (
	ErrInvalidCID          = errorsmod.Register(ModuleName, 2, "invalid record CID")
	ErrInvalidAuthority    = errorsmod.Register(ModuleName, 3, "invalid authority: the signer is not the records module authority")
	ErrInvalidParams       = errorsmod.Register(ModuleName, 4, "invalid records module params")
	ErrInvalidAddress      = errorsmod.Register(ModuleName, 5, "invalid address")
	ErrInvalidLabel        = errorsmod.Register(ModuleName, 6, "invalid label")
	ErrInvalidKind         = errorsmod.Register(ModuleName, 7, "invalid record kind")
	ErrKindNotAllowed      = errorsmod.Register(ModuleName, 8, "record kind not allowed")
	ErrInvalidSize         = errorsmod.Register(ModuleName, 9, "invalid size")
	ErrRecordNotFound      = errorsmod.Register(ModuleName, 10, "record not found")
	ErrRecordRedacted      = errorsmod.Register(ModuleName, 11, "record is redacted")
	ErrNotOwner            = errorsmod.Register(ModuleName, 12, "signer is not the record's owner")
	ErrNotAuthorisedIssuer = errorsmod.Register(ModuleName, 13, "signer is not an authorised issuer")
	ErrNoWritePermission   = errorsmod.Register(ModuleName, 14, "owner has not granted write permission")
	ErrInvalidDerivedFrom  = errorsmod.Register(ModuleName, 15, "invalid derived_from")
	ErrTooManyRecords      = errorsmod.Register(ModuleName, 16, "too many records for this owner in this block")
	ErrInvalidWraps        = errorsmod.Register(ModuleName, 17, "invalid key wraps")
	ErrKeyEpochMismatch    = errorsmod.Register(ModuleName, 18, "key epoch mismatch")
	ErrInvalidRecord       = errorsmod.Register(ModuleName, 19, "invalid record")
	ErrInvalidHistory      = errorsmod.Register(ModuleName, 20, "invalid record history")
	ErrCIDInUse            = errorsmod.Register(ModuleName, 21, "CID already belongs to a record version")
	ErrCIDCodecTwin        = errorsmod.Register(ModuleName, 22, "CID names the same bytes as a CID a record version already used")
	ErrTooManyVersions     = errorsmod.Register(ModuleName, 23, "record holds the most versions params max_versions_per_record allows")
	ErrNoUploadReceipt     = errorsmod.Register(ModuleName, 24, "no upload receipt for the CID")
	ErrBadUploadReceipt    = errorsmod.Register(ModuleName, 25, "invalid upload receipt")

	// Filecoin archive entries (MsgSetArchiveConsent, MsgRecordArchive).
	ErrNotHospital             = errorsmod.Register(ModuleName, 26, "signer is not an active hospital")
	ErrInvalidPieceCID         = errorsmod.Register(ModuleName, 27, "invalid piece CID")
	ErrInvalidPieceSize        = errorsmod.Register(ModuleName, 28, "invalid piece size")
	ErrInvalidProvider         = errorsmod.Register(ModuleName, 29, "invalid storage provider")
	ErrInvalidDealRef          = errorsmod.Register(ModuleName, 30, "invalid deal reference")
	ErrInvalidExpiry           = errorsmod.Register(ModuleName, 31, "invalid deal expiry")
	ErrInvalidArchivedVersions = errorsmod.Register(ModuleName, 32, "invalid list of archived versions")
	ErrVersionNotFound         = errorsmod.Register(ModuleName, 33, "record version not found")
	ErrVersionNotLive          = errorsmod.Register(ModuleName, 34, "record version is not live")
	ErrArchiveNotAllowed       = errorsmod.Register(ModuleName, 35, "archiving the record is not allowed")
	ErrTooManyArchiveEntries   = errorsmod.Register(ModuleName, 36, "record version holds the most archive entries params max_archive_entries_per_version allows")
	ErrArchiveEntryTaken       = errorsmod.Register(ModuleName, 37, "another hospital recorded this archive entry")
	ErrInvalidArchiveEntry     = errorsmod.Register(ModuleName, 38, "invalid archive entry")
)
