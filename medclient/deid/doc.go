// Package deid removes identifying data from a record's plaintext before a
// patient shares it as a de-identified copy (data-NFTs are minted
// only from such copies). It runs on the patient's machine, between
// decrypting the original and uploading the copy; nothing identifying ever
// leaves it.
//
// # DICOM
//
// DICOM applies the Basic Application Level Confidentiality Profile of
// PS3.15 Annex E to every attribute of Table E.1-1 (TableE11, all 621 rows
// of the 2024b edition), at the top level and inside every sequence it
// keeps, with the Basic Profile action of each row:
//
//   - X: removed. Z: kept with an empty value (a sequence: no items).
//     K: kept. U: every UID replaced by HMAC-SHA-256 of the UID under the
//     caller's key, as a 2.25 UID (PS3.5 B.2): the same original UID maps to
//     the same new one wherever it appears (file meta, data set, references
//     in sequences, other files of the study under the same key) and the
//     mapping cannot be reversed without the key.
//   - D: the value replaced by a dummy valid for the VR (DummyValue):
//     "ANONYMIZED" for text VRs (AE, CS, LO, LT, PN, SH, ST, UC, UR, UT; it
//     fits every length limit), DA 19000101, TM 000000, DT 19000101000000,
//     AS 000D, DS and IS 0, binary numbers 0, OB/OW/UN two zero bytes. A UI
//     attribute's dummy is its remapped UID, so references stay consistent.
//   - Wildcard rows: private attributes (odd groups) and curve data
//     (50xx,xxxx) are removed. The table lists Overlay Data (60xx,3000) and
//     Overlay Comments (60xx,4000); the whole overlay groups (60xx,xxxx)
//     are removed, so that no overlay is left half described.
//   - C in the Basic Profile column (no 2024b row has one) would be
//     treated as X, which is stricter than cleaning.
//
// Combined actions depend on the attribute's type in its IOD, which this
// package does not know; each is resolved to one action that conforms
// whatever the type (ResolveAction): X/Z -> Z, X/D -> D, Z/D -> D,
// X/Z/D -> D, and X/Z/U* -> U for a UI attribute, for a sequence the
// sequence kept with every item de-identified (so the UIDs it references
// are remapped), Z for anything else. D on a sequence (Content Sequence,
// Verifying Observer Sequence, Institution Code Sequence, ...) leaves the
// sequence with no items: no valid dummy item can be made without knowing
// the IOD. An SR document therefore loses its content tree.
//
// # Options
//
// Options are chosen explicitly (DICOMOptions) and declared in
// De-identification Method Code Sequence (0012,0064) with their DCM codes;
// De-identification Method (0012,0063) names them in at most 64
// characters (LO), Patient Identity Removed (0012,0062) is YES.
//
//   - 113100 Basic Application Confidentiality Profile: always.
//   - 113107 Retain Longitudinal Temporal Information Modified Dates
//     Option, when DateShiftDays != 0: every DA and DT attribute marked C in
//     the option's column of the table is moved by that many whole days
//     (ShiftDA, ShiftDT: multi-values and DA ranges included; a DT keeps
//     its time and UTC offset), and TM attributes are kept, a whole-day
//     shift leaving times of day as they are. A value that cannot be read
//     (or a DT without a full date) is emptied, never kept. Rows marked C
//     whose VR is not DA, DT or TM (Certified Timestamp, Frame Origin
//     Timestamp, Timezone Offset From UTC) follow the basic action.
//     Longitudinal Temporal Information Modified (0028,0303) is MODIFIED;
//     without the option dates follow the basic action and it is REMOVED.
//   - 113105 Clean Descriptors is not implemented: free text cannot be
//     cleaned reliably, so descriptions (Study Description, Series
//     Description, comments...) follow the basic action and are mostly
//     removed. No other option (retain UIDs, device or institution
//     identity, patient characteristics, safe private, clean graphics or
//     structured content) is implemented.
//
// Burned In Annotation (0028,0301) = YES is refused with
// ErrBurnedInAnnotation unless AllowBurnedInAnnotation is set: pixel data
// are never changed (the Pixel Data value is written back byte for byte),
// so text burned into them would stay.
//
// # Library limits
//
// Files are read and written with github.com/suyashkumar/dicom v1.1.0.
// Every copy is re-read before anything is written to the caller: if the
// data set read back differs from the one meant, or the Pixel Data value is
// not byte for byte the original's, DICOM returns ErrUnsupported and
// writes nothing. Known limits, seen on pydicom's test files:
//
//   - the deflated transfer syntax (1.2.840.10008.1.2.1.99) cannot be
//     written: refused with ErrUnsupported;
//   - files the library cannot parse are refused with ErrNotDICOM: truncated
//     files, files without file meta whose transfer syntax the library
//     cannot infer, and undefined-length UN attributes holding sequences
//     in implicit VR (UN_sequence.dcm);
//   - strings are decoded with the Specific Character Set on reading and
//     written back as UTF-8: a non-ASCII value in another character set is
//     caught by the re-read and refused, not silently re-encoded;
//   - OW values other than pixel data in big endian files would be
//     byte-swapped by the library (its reading and writing of OW are not
//     symmetric there): the re-read catches it and the file is refused;
//   - a data set without file meta information is given one (transfer
//     syntax inferred from its first element, SOP Class and remapped SOP
//     Instance UIDs), so the copy is a Part 10 file.
//
// Explicit and implicit VR little endian, explicit VR big endian and the
// encapsulated syntaxes (JPEG, JPEG-LS, JPEG 2000, RLE; the Basic Offset
// Table is kept) are rewritten faithfully. VerifyDICOM checks a copy
// against its original, row by row of the table; scripts/dicomcheck runs it
// from the command line and scripts/dicom-corpus.sh provides real test
// files (MEDCHAIN_DICOM_CORPUS) for the corpus tests.
package deid
