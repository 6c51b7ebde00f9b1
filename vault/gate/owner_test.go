package gate

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// AllowOwner passes only the record's owner, with a ticket of the purpose
// asked for, once; a reader with a grant, a stranger and a ticket of
// another purpose are refused, and their nonces stay unspent.
func TestOnlyTheOwnerPassesAnOwnerTicket(t *testing.T) {
	owner, reader, stranger := newAccount(), newAccount(), newAccount()
	log, err := OpenLog(filepath.Join(t.TempDir(), "access.log"))
	require.NoError(t, err)
	g := New(fakeChain{owner: owner.addr, versions: []string{"bafkqaaa"}, readers: map[string]bool{reader.addr: true}}, log)
	status := func(header string) int {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/pseudonym", nil)
		r.Header.Set(Header, header)
		if _, err := g.AllowOwner(r, PurposePseudonym); err != nil {
			return err.(*GateError).Status
		}
		return http.StatusOK
	}
	require.Equal(t, http.StatusForbidden, status(reader.ticket(t, PurposePseudonym, 1, "")), "a grantee is not the owner")
	require.Equal(t, http.StatusForbidden, status(stranger.ticket(t, PurposePseudonym, 1, "")), "a stranger")
	require.Equal(t, http.StatusUnauthorized, status(owner.ticket(t, PurposeLog, 1, "")), "a ticket of another purpose")
	require.Equal(t, http.StatusForbidden, status(owner.ticket(t, PurposePseudonym, 2, "")), "a record that is not the signer's")
	refused := stranger.ticket(t, PurposePseudonym, 1, "")
	require.Equal(t, http.StatusForbidden, status(refused))
	require.Equal(t, http.StatusForbidden, status(refused), "a refused ticket is not spent: refused again, for the same reason")
	once := owner.ticket(t, PurposePseudonym, 1, "")
	require.Equal(t, http.StatusOK, status(once))
	require.Equal(t, http.StatusUnauthorized, status(once), "an owner's ticket works once")
}
