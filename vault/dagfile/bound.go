package dagfile

// CARSizeBound bounds the CAR of a file of fileSize bytes as Build chunks
// it (the content, a CID and a length per block, the interior nodes): a
// client fetching a payload whose size the chain records reads no more
// than this, so a hostile gateway cannot stream it an endless CAR. It
// returns 0 (no bound) for an unknown size (0 or less).
func CARSizeBound(fileSize int64) int64 {
	if fileSize <= 0 {
		return 0
	}
	return fileSize + fileSize/64 + 64<<10
}
