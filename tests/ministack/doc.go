// Package ministack holds the tests of Portico's patches to the MiniStack
// emulator (localstack/ministack): that each patch still does what it is
// for, and that upstream still needs it. They run MiniStack's own Python
// in-process, without a server (build tag e2e, from make test).
package ministack
