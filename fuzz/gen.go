package fuzz

//go:generate go run ./internal/gencorpus
