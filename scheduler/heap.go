package scheduler

// The heap: a binary min-heap on next, each entry knowing its index, so
// that the engine needs one timer for the earliest due time.

// up moves entry i towards the root and reports whether it moved.
func (e *Engine) up(i int) bool {
	moved := false
	for i > 0 {
		p := (i - 1) / 2
		if e.heap[p].next <= e.heap[i].next {
			break
		}
		e.swap(i, p)
		i = p
		moved = true
	}
	return moved
}

func (e *Engine) down(i int) {
	n := len(e.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && e.heap[r].next < e.heap[l].next {
			c = r
		}
		if e.heap[i].next <= e.heap[c].next {
			return
		}
		e.swap(i, c)
		i = c
	}
}

func (e *Engine) swap(i, j int) {
	h := e.heap
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}

// Firing.
