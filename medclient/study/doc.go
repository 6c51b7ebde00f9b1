// Package study is the plaintext of a DICOM study record: a container that
// holds every instance of one study, byte for byte, behind an index of their
// UIDs and attributes, and the DICOM JSON model (PS3.18 F.2) that a QIDO-RS
// answer is made of.
//
// The container is what the client encrypts as one record version, so no
// UID or patient attribute reaches the chain or the vault in the clear. It
// is a POSIX (ustar) tar stream:
//
//   - the first member is "index.json", the Index: the format name
//     (Format), the StudyInstanceUID and one Entry per instance (its
//     attributes, size, SHA-256 and member name);
//   - then one member per instance, in the index's order, named
//     "<SeriesInstanceUID>/<SOPInstanceUID>.dcm" and holding the instance's
//     Part 10 bytes unchanged.
//
// The stream is deterministic: mtime 0, mode 0600, no owner, instances
// sorted by (SeriesNumber, SeriesInstanceUID, InstanceNumber,
// SOPInstanceUID), so the same instances always make the same bytes and
// Size tells their number before anything is read. Instances of one
// container share one StudyInstanceUID. A SOPInstanceUID given twice
// (within one Write, or by Merge over an older version) keeps the instance
// given last: a modality or gateway that sends an instance again sends its
// correction.
//
// A reader never trusts the stream: ReadIndex checks the index (format,
// UIDs, canonical member names, order, no duplicate), Each checks every
// member's name, size and SHA-256 against the index, and Extract names its
// files from the checked UIDs only, writing each one under a temporary
// name and renaming it once it is complete and verified.
//
// A new version of a study is written by Merge, which streams the older
// container once, in order, into the new one with the instances added
// (MergeSize gives the new size from the older index beforehand): the
// container order depends on each instance alone, so the older instances
// keep their relative order in the newer version.
//
// QIDO-RS searches are answered from indexes alone: ParseQuery reads the
// search parameters (an error wrapping ErrBadQuery is a 400), and
// Query.Studies, Query.Series and Query.Instances return the matching
// results in the DICOM JSON model; StudyJSON, SeriesJSON and InstanceJSON
// give one result each.
package study
