package main

// runKeygen is a placeholder until its issue lands; the owner of this command
// deletes this file and writes keygen.go.
var runKeygen = notYet("keygen")
