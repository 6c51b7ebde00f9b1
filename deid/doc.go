// Package deid removes identifying data from a record's plaintext before a
// patient shares it as a de-identified copy (data-NFTs are minted
// only from such copies). It runs on the patient's machine, between
// decrypting the original and uploading the copy; nothing identifying ever
// leaves it.
//
// DICOM follows the Basic Application Level Confidentiality Profile of
// PS3.15 Annex E for the attributes listed in DICOMRules; instance UIDs are
// replaced by UIDs derived with HMAC-SHA-256 under a key the caller keeps,
// so the same original UID always maps to the same new one (a study's
// series still belong together) and the mapping cannot be reversed without
// the key. Private attributes and overlays are removed, and the result is
// marked Patient Identity Removed = YES with the method named.
package deid
