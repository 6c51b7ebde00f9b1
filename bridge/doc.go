// Package bridge is the hospital's DICOMweb and FHIR gateway to medchain: a
// PACS or viewer stores studies into patients' records and reads them back
// over the standard it already speaks (PS3.18: STOW-RS, QIDO-RS, WADO-RS),
// an EHR files and finds documents over IHE MHD (FHIR R4), and every store
// and read goes through the patient's consent on chain.
//
// Each hospital runs one bridge beside its node (`medchaind bridge start`),
// signing with the hospital's account key. It belongs inside the hospital
// network: its callers are the hospital's own systems, each with a bearer
// token of its own (Config.Clients), never the public.
//
//   - STOW-RS groups the pushed instances by study. A study becomes one
//     record of kind DICOM owned by the patient, written under the
//     patient's WRITE grant to the hospital; its payload is a study
//     container (medclient/study): the instances and an index of their
//     UIDs and attributes, all inside the record's encryption, so that no
//     UID reaches the chain or a vault in the clear. Instances of a study
//     that arrive later make the record's next version. Every instance the
//     bridge does not store gets a failure reason in the standard response
//     (unknown patient, no consent, malformed), and is kept nowhere.
//   - QIDO-RS lists the studies the hospital may read now (the chain's
//     CheckAccess, the same Decide the chain applies), with attributes from
//     the decrypted index.
//   - WADO-RS returns the original instances, byte for byte, read from a
//     vault with the hospital's signed ticket, so that the patient's access
//     log names the hospital.
//
// The EHR side is FHIR R4, a subset of IHE MHD under /fhir (mhd.go): every
// resource is parsed and validated with Google's FHIR library
// (github.com/google/fhir/go/jsonformat) before anything is read from it,
// and a refusal is an OperationOutcome saying what was wrong.
//
//   - ITI-65 Provide Document Bundle (POST /fhir) takes a transaction
//     Bundle of a SubmissionSet List, DocumentReferences, their Binaries
//     and optionally the Patient. Every check is made before anything is
//     stored: the subject's identifier (system|value, looked up as issuer
//     and id) names an enrolled patient, one for the whole bundle, who
//     has granted the hospital WRITE for FHIR records. Each
//     DocumentReference with its Binary becomes one record of kind FHIR
//     owned by the patient; its payload is a FHIR Bundle of type
//     collection holding the DocumentReference (its attachment.url
//     Binary/<id>, its subject the patient's identifier) and the Binary,
//     so that `medchaind tx records deidentify` (medclient/deid) works on
//     it. The SubmissionSet is not kept.
//   - ITI-67 Find Document References (GET
//     /fhir/DocumentReference?patient.identifier=system|value) lists the
//     documents the hospital may read now (the chain asked on every call)
//     of the patient enrolled under that identifier or whose
//     DocumentReference names it; the DocumentReferences come from an
//     encrypted cache of what was decrypted before (Store), and their
//     attachment.url is the bridge's ITI-68 URL.
//   - ITI-68 Retrieve Document (GET /fhir/Binary/<record id>) returns the
//     document's bytes as submitted, read from a vault with the hospital's
//     ticket.
//
// A patient is known to the bridge by the identifiers the hospital's
// systems use (DICOM PatientID and IssuerOfPatientID; FHIR identifier value
// and system) only after the patient enrols: the patient's client signs a
// one-time enrolment code (EnrolmentCode), the front desk enters it with
// the local identifiers, and the bridge keeps the mapping in a table
// encrypted at rest (Store), never on chain and never in a vault.
package bridge
