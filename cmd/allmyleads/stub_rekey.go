package main

// runRekey is a placeholder until its issue lands; the owner of this command
// deletes this file and writes rekey.go.
var runRekey = notYet("rekey")
