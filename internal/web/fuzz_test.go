package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// FuzzRegisterForm posts arbitrary bodies to a valid link. Whatever arrives,
// the answer is a page (never a 5xx), and nothing is written unless the
// registration succeeded.
func FuzzRegisterForm(f *testing.F) {
	f.Add("password=tre+glada+kor+i+hagen&password_confirm=tre+glada+kor+i+hagen&language=sv&accept_privacy=on")
	f.Add("password=short&password_confirm=short")
	f.Add("language=de&accept_privacy=yes")
	f.Add("%zz=%%&&=")
	f.Add(strings.Repeat("a=b&", 100))
	f.Add("password=" + strings.Repeat("å", 129) + "&password_confirm=x")
	fx := newFixture(f, cheapParams)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, body string) {
		inv, token := fx.invite(t, fmt.Sprintf("asa%d@example.com", n.Add(1)), "sv")
		req := httptest.NewRequest(http.MethodPost, "/invite/"+token, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := fx.do(req)
		switch rec.Code {
		case http.StatusSeeOther:
			got, err := fx.store.Invitation(context.Background(), inv.ID)
			if err != nil || got.State != "accepted" {
				t.Fatalf("303 but invitation is %v (%v)", got.State, err)
			}
		case http.StatusUnprocessableEntity, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			got, err := fx.store.Invitation(context.Background(), inv.ID)
			if err != nil || got.State != inv.State || got.Version != inv.Version {
				t.Fatalf("refused body changed the invitation: %+v (%v)", got, err)
			}
		default:
			t.Fatalf("status %d for body %q", rec.Code, body)
		}
	})
}
