package main

import "io"

func cmdRate(args []string, stdout, stderr io.Writer) int        { return 1 }
func cmdSMSSegments(args []string, stdout, stderr io.Writer) int { return 1 }
func cmdRentals(args []string, stdout, stderr io.Writer) int     { return 1 }
func cmdBalance(args []string, stdout, stderr io.Writer) int     { return 1 }
func cmdTopup(args []string, stdout, stderr io.Writer) int       { return 1 }
func cmdLedger(args []string, stdout, stderr io.Writer) int      { return 1 }
func cmdRates(args []string, stdout, stderr io.Writer) int       { return 1 }
