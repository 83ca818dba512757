package invite

import (
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The Swedish collator is not safe for concurrent use; a pool lets the store
// compute keys from many goroutines without a lock.
var collators = sync.Pool{New: func() any {
	return collate.New(language.Swedish, collate.IgnoreCase)
}}

// SortKey returns a byte string that orders names in Swedish alphabetical
// order ignoring case (… x, y, z, å, ä, ö) under plain byte comparison. The
// stores index it, so both sort identically without database collations.
func SortKey(s string) []byte {
	c := collators.Get().(*collate.Collator)
	var buf collate.Buffer
	k := c.KeyFromString(&buf, s)
	out := make([]byte, len(k))
	copy(out, k)
	collators.Put(c)
	return out
}
