package main

// runRetention is a placeholder until its issue lands; the owner of this command
// deletes this file and writes retention.go.
var runRetention = notYet("retention")
