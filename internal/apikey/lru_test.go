package apikey

import (
	"fmt"
	"testing"
)

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	c := newLRU(3)
	for i := range 3 {
		c.put(fmt.Sprint(i), entry{known: true})
	}
	c.get("0") // 0 is now the most recently used; 1 the least
	c.put("3", entry{})
	if _, ok := c.get("1"); ok {
		t.Errorf("got 1 still cached, want it evicted (least recently used)")
	}
	for _, k := range []string{"0", "2", "3"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("got %s evicted, want it kept", k)
		}
	}
	if c.len() != 3 {
		t.Errorf("got %d entries, want 3 (the bound)", c.len())
	}
	c.remove("0")
	c.put("2", entry{known: false}) // an update does not grow the cache
	if c.len() != 2 {
		t.Errorf("got %d entries after a remove and an update, want 2", c.len())
	}
}
