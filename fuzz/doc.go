// Package fuzz holds the project's fuzz targets, seeded from the language
// reference's examples, its damaged forms and the attack paths the matcher
// must deny. Run one for longer with, for example:
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzAllow$' -fuzztime 10m
//
// Inputs that found a defect are kept under testdata/fuzz and rerun by
// every plain "go test".
package fuzz
