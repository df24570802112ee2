// Package archtest holds tests that keep toban's code honest about rules
// the compiler cannot check, such as where the wall clock may be read.
// It has no non-test code beyond this comment and the scanner the tests use.
package archtest
