//go:build !unix

package storage

import "os"

// tryFlock has no portable equivalent here: toban ships for Linux, and on
// other systems concurrent first starts on one SQLite file are not
// serialised.
func tryFlock(*os.File) (bool, error) { return true, nil }

func unFlock(*os.File) {}
