package main

// runExtract is a placeholder until its issue lands; the owner of this command
// deletes this file and writes extract.go.
var runExtract = notYet("extract")
