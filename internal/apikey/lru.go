package apikey

import "container/list"

// lru is a bounded map that evicts its least recently used entry. It is not
// safe for concurrent use; the Resolver holds its lock.
type lru struct {
	max   int
	order *list.List // front: most recently used; values are *lruItem
	items map[string]*list.Element
}

type lruItem struct {
	key string
	e   entry
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(key string) (entry, bool) {
	el, ok := c.items[key]
	if !ok {
		return entry{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruItem).e, true
}

func (c *lru) put(key string, e entry) {
	if el, ok := c.items[key]; ok {
		el.Value.(*lruItem).e = e
		c.order.MoveToFront(el)
		return
	}
	if c.order.Len() >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*lruItem).key)
	}
	c.items[key] = c.order.PushFront(&lruItem{key: key, e: e})
}

func (c *lru) remove(key string) {
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
}

func (c *lru) len() int { return c.order.Len() }
