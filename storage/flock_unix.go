//go:build unix

package storage

import (
	"errors"
	"os"
	"syscall"
)

// tryFlock takes an exclusive lock on f without waiting; false means
// another process holds it.
func tryFlock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func unFlock(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
