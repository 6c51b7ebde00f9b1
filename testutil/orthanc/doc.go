// Package orthanc runs real Orthanc PACS servers (Debian's orthanc 1.10
// with the orthanc-dicomweb 1.7 plugin; scripts/install-orthanc.sh
// installs them and .ci/run exports ORTHANC_BIN and
// ORTHANC_DICOMWEB_PLUGIN) for Go tests of the DICOMweb bridge.
//
// Start writes a configuration into t.TempDir() (HTTP on a free port,
// remote access off so only loopback clients are served, DICOM port off,
// the DICOMweb plugin at /dicom-web/ with Options.Servers as its
// DicomWeb.Servers), runs the binary, waits for GET /system and stops it
// when the test ends; its log is printed when the test fails. A test
// skips when Orthanc is not installed. MakeStudy builds a real
// multi-series study from the pydicom corpus (scripts/dicom-corpus.sh).
//
// What Orthanc's DICOMweb client sends (observed by this package's tests
// against Orthanc 1.10.1 and DICOMweb 1.7 with a stub server; a bridge
// must accept exactly this):
//
// STOW-RS (POST /dicom-web/servers/{name}/stow, Server.Stow): one
// request for all the instances of all the resources named, whatever
// their number (120 instances, 3 MB, went in one request):
//
//	POST {Url}studies HTTP/1.1
//	Accept: application/dicom+json
//	Content-Type: multipart/related; type="application/dicom"; boundary=UUID-UUID
//	Transfer-Encoding: chunked           (no Content-Length, no Expect)
//	+ the server's HttpHeaders (e.g. Authorization: Bearer TOKEN), or
//	  Authorization: Basic ... from its Username/Password
//
// The boundary is a UUID twice, joined by "-", unquoted. The body opens
// with "--boundary\r\n" (no preamble); each part has the headers
// "Content-Type: application/dicom" and "Content-Length: N" and holds the
// stored file byte for byte; the body ends with "--boundary--" and no
// final CRLF. With "ChunkedTransfers": false in RemoteServer.Extra the
// same body comes with a Content-Length instead. The answer must be a JSON object with a
// Referenced SOP Sequence "00081199" whose "Value" has exactly as many
// items as instances were sent, and a Failed SOP Sequence "00081198" and
// Other Failures "0008119A", if present, must be empty; anything else
// (any error status: a 401 was checked) fails the job.
//
// WADO-RS (POST /dicom-web/servers/{name}/retrieve with
// {"Resources": [{"Study": uid}]}, Server.Retrieve): no QIDO-RS query at
// all; one request per resource:
//
//	GET {Url}studies/{StudyInstanceUID} HTTP/1.1
//	Accept: multipart/related; type="application/dicom"; transfer-syntax=*
//	+ the server's HttpHeaders or Basic credentials
//
// ("Series"/"Instance" in a resource make it .../series/{uid} and
// .../instances/{uid}). The answer's Content-Type must be
// multipart/related with a boundary, every part's type application/dicom;
// each part is stored as sent (POST /instances), so what Orthanc keeps is
// the bytes of the part. An error answer whose Content-Type is not
// multipart (e.g. a 404 in text/plain) fails the job with "Cannot parse
// the Content-Type for WADO-RS".
//
// QIDO-RS through Orthanc (POST /dicom-web/servers/{name}/get,
// Server.Qido): the plugin refuses a "?" in "Uri"; the query goes in
// "Arguments" and is sent as GET {Url}studies?PatientID=... with
// "Accept: */*" and the server's headers; the answer is passed through.
//
// A failed client job answers HTTP 500 "Error encountered within the
// plugin engine"; the cause (e.g. "received HTTP status 401") is only in
// Orthanc's log, so Stow, Retrieve and Qido add the log's error lines to
// the error they return.
package orthanc
