package main

import (
	"io"
	"os"
)

// openInput opens the file a CLI command reads, "-" meaning standard
// input; the caller closes it.
func openInput(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(name)
}
