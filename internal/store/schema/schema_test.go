package schema

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	ms, err := Load(fstest.MapFS{
		"0002_b.sql": {Data: []byte("B")},
		"0001_a.sql": {Data: []byte("A")},
		"notes.txt":  {},
	})
	if err != nil || len(ms) != 2 || ms[0] != (Migration{1, "0001_a.sql", "A"}) || ms[1].Version != 2 {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	for _, fsys := range []fstest.MapFS{
		{"init.sql": {}},
		{"0001_a.sql": {}, "0003_c.sql": {}},
		{"0001_a.sql": {}, "1_b.sql": {}},
		{"0000_zero.sql": {}},
	} {
		if _, err := Load(fsys); err == nil {
			t.Errorf("Load(%v) accepted bad names", fsys)
		}
	}
}
