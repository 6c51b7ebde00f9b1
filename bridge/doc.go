// Package bridge is the hospital's DICOMweb gateway to medchain: a PACS or
// viewer stores studies into patients' records and reads them back over the
// standard it already speaks (PS3.18: STOW-RS, QIDO-RS, WADO-RS), and every
// store and read goes through the patient's consent on chain.
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
// A patient is known to the bridge by the identifiers the hospital's
// systems use (DICOM PatientID and IssuerOfPatientID) only after the
// patient enrols: the patient's client signs a one-time enrolment code
// (EnrolmentCode), the front desk enters it with the local identifiers,
// and the bridge keeps the mapping in a table encrypted at rest
// (Store), never on chain and never in a vault.
package bridge
