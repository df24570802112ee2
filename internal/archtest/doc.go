// Package archtest holds tests that keep toban's code honest about rules
// the compiler cannot check, such as where the wall clock may be read.
// Its non-test code is the scanners the tests use: the wall-clock finder
// and the import-graph rule checker (Layers.Check). It imports only the
// standard library and runs go list; nothing imports it.
package archtest
