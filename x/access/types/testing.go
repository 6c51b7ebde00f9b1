package types

// FakeSealedReason returns bytes of the form and size of reason sealed to
// an owner, for tests of the chain, which checks only the form: they are
// not a real ciphertext and open with no key.
func FakeSealedReason(reason string) []byte {
	b := make([]byte, SealedReasonOverhead+len(reason))
	b[0] = SealedReasonVersion
	for i := 1; i < len(b); i++ {
		b[i] = byte(i * 13)
	}
	return b
}
