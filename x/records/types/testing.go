package types

// FakeSealedLabel returns bytes of the form and size of label sealed
// (version byte, nonce, ciphertext and tag), for tests of the chain, which
// checks only the form: the bytes are not a real ciphertext and open with
// no key.
func FakeSealedLabel(label string) []byte {
	b := make([]byte, SealedLabelOverhead+len(label))
	b[0] = SealedLabelVersion
	for i := 1; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	return b
}
