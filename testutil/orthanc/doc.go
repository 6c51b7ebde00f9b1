// Package orthanc runs real Orthanc PACS servers (Debian's orthanc 1.10
// with the orthanc-dicomweb 1.7 plugin; scripts/install-orthanc.sh
// installs them) for Go tests of the DICOMweb bridge.
package orthanc
