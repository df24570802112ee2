package main

import "context"

// Background work of feature areas, started by Run. Each area's file
// defines its runner; they return when ctx ends.

func (m *Main) runOnCallOps(ctx context.Context) {}
