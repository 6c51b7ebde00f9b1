package types

import "strings"

// IsValid reports whether k is one of the defined kinds other than
// UNSPECIFIED.
func (k IssuerKind) IsValid() bool {
	_, defined := IssuerKind_name[int32(k)]
	return defined && k != IssuerKindUnspecified
}

// Label is the kind without its enum prefix, for messages: "HOSPITAL".
func (k IssuerKind) Label() string {
	return strings.TrimPrefix(k.String(), "ISSUER_KIND_")
}

// IsValid reports whether s is one of the defined statuses other than
// UNSPECIFIED.
func (s IssuerStatus) IsValid() bool {
	_, defined := IssuerStatus_name[int32(s)]
	return defined && s != IssuerStatusUnspecified
}

// Label is the status without its enum prefix, for messages: "SUSPENDED".
func (s IssuerStatus) Label() string {
	return strings.TrimPrefix(s.String(), "ISSUER_STATUS_")
}

// IsValid reports whether r is one of the defined roles other than
// UNSPECIFIED.
func (r PractitionerRole) IsValid() bool {
	_, defined := PractitionerRole_name[int32(r)]
	return defined && r != PractitionerRoleUnspecified
}

// Label is the role without its enum prefix, for messages: "DOCTOR".
func (r PractitionerRole) Label() string {
	return strings.TrimPrefix(r.String(), "PRACTITIONER_ROLE_")
}

// PractitionerStatusFor derives a practitioner's status from the status of
// its organisation: ACTIVE exactly while the organisation is ACTIVE.
func PractitionerStatusFor(organisation IssuerStatus) PractitionerStatus {
	if organisation == IssuerStatusActive {
		return PractitionerStatusActive
	}
	return PractitionerStatusInactive
}

// validValues lists the CLI spellings of an enum's values, skipping
// UNSPECIFIED, for error messages that tell the user what to type.
func validValues(names map[int32]string, prefix string) string {
	values := make([]string, 0, len(names))
	for i := int32(1); i < int32(len(names)); i++ {
		name, ok := names[i]
		if !ok {
			continue
		}
		values = append(values, strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, prefix)), "_", "-"))
	}
	return strings.Join(values, ", ")
}

// ValidIssuerKinds lists the accepted kinds as the CLI spells them.
func ValidIssuerKinds() string { return validValues(IssuerKind_name, "ISSUER_KIND_") }

// ValidIssuerStatuses lists the accepted statuses as the CLI spells them.
func ValidIssuerStatuses() string { return validValues(IssuerStatus_name, "ISSUER_STATUS_") }

// ValidPractitionerRoles lists the accepted roles as the CLI spells them.
func ValidPractitionerRoles() string {
	return validValues(PractitionerRole_name, "PRACTITIONER_ROLE_")
}
