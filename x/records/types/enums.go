package types

import "strings"

// IsValid reports whether k is one of the defined kinds other than
// UNSPECIFIED.
func (k RecordKind) IsValid() bool {
	_, defined := RecordKind_name[int32(k)]
	return defined && k != RecordKindUnspecified
}

// Label is the kind without its enum prefix, for messages: "DICOM".
func (k RecordKind) Label() string {
	return strings.TrimPrefix(k.String(), "RECORD_KIND_")
}

// IsValid reports whether s is one of the defined statuses other than
// UNSPECIFIED.
func (s RecordStatus) IsValid() bool {
	_, defined := RecordStatus_name[int32(s)]
	return defined && s != RecordStatusUnspecified
}

// Label is the status without its enum prefix, for messages: "REDACTED".
func (s RecordStatus) Label() string {
	return strings.TrimPrefix(s.String(), "RECORD_STATUS_")
}

// AllRecordKinds returns every defined kind other than UNSPECIFIED, in enum
// order.
func AllRecordKinds() []RecordKind {
	kinds := make([]RecordKind, 0, len(RecordKind_name)-1)
	for i := int32(1); i < int32(len(RecordKind_name)); i++ {
		if _, ok := RecordKind_name[i]; ok {
			kinds = append(kinds, RecordKind(i))
		}
	}
	return kinds
}

// kindSpellings lists kinds as the CLI spells them: "dicom, fhir, ...".
func kindSpellings(kinds []RecordKind) string {
	values := make([]string, 0, len(kinds))
	for _, k := range kinds {
		values = append(values, strings.ToLower(k.Label()))
	}
	return strings.Join(values, ", ")
}

// ValidRecordKinds lists the defined kinds as the CLI spells them.
func ValidRecordKinds() string { return kindSpellings(AllRecordKinds()) }

// IsValid reports whether p is one of the defined policies other than
// UNSPECIFIED.
func (p ArchivePolicy) IsValid() bool {
	_, defined := ArchivePolicy_name[int32(p)]
	return defined && p != ArchivePolicyUnspecified
}

// ValidArchivePolicies lists the policies params may hold.
func ValidArchivePolicies() string {
	return "ARCHIVE_POLICY_NONE, ARCHIVE_POLICY_CONSENT, ARCHIVE_POLICY_ALL"
}
