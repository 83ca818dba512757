package invite

import (
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The Swedish collator is not safe for concurrent use; a pool lets the store
// compute keys from many goroutines without a lock.
var collators = sync.Pool{New: func() any {
	return &collator{c: collate.New(language.Swedish, collate.IgnoreCase)}
}}

// collator keeps its buffer: a fresh one costs a 4 KiB clear per key.
type collator struct {
	c   *collate.Collator
	buf collate.Buffer
}

// SortKey returns a byte string that orders names in Swedish alphabetical
// order ignoring case (… x, y, z, å, ä, ö) under plain byte comparison. The
// stores index it, so both sort identically without database collations.
func SortKey(s string) []byte {
	c := collators.Get().(*collator)
	k := c.c.KeyFromString(&c.buf, s)
	out := make([]byte, len(k))
	copy(out, k)
	c.buf.Reset()
	collators.Put(c)
	return out
}
