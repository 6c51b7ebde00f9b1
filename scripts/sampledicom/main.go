// Command sampledicom writes a synthetic but well-formed DICOM Part 10 file
// (an MR image, explicit VR little endian) for demos and tests: the
// 128-byte preamble, "DICM", the file meta group and a data set with an
// invented patient and a gradient as pixel data. No real person's data is
// in it; every run makes new UIDs, so every file has a different CID.
//
//	go run ./scripts/sampledicom -o scan.dcm -mib 8
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"math/big"
	"os"
)

func main() {
	out := flag.String("o", "scan.dcm", "file to write")
	mib := flag.Int("mib", 4, "approximate size in MiB (the pixel data)")
	flag.Parse()
	if err := os.WriteFile(*out, build(*mib), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// build makes the file; size is rounded to a square 16-bit image.
func build(mib int) []byte {
	side := 256
	for side*side*2 < mib<<20 {
		side *= 2
	}
	sopInstance := uid()
	var meta, ds bytes.Buffer
	element(&meta, 0x0002, 0x0001, "OB", []byte{0, 1})
	element(&meta, 0x0002, 0x0002, "UI", text("1.2.840.10008.5.1.4.1.1.4")) // MR Image Storage
	element(&meta, 0x0002, 0x0003, "UI", text(sopInstance))
	element(&meta, 0x0002, 0x0010, "UI", text("1.2.840.10008.1.2.1")) // explicit VR little endian
	element(&meta, 0x0002, 0x0012, "UI", text("1.2.826.0.1.3680043.10.1393"))

	element(&ds, 0x0008, 0x0016, "UI", text("1.2.840.10008.5.1.4.1.1.4"))
	element(&ds, 0x0008, 0x0018, "UI", text(sopInstance))
	element(&ds, 0x0008, 0x0060, "CS", text("MR"))
	element(&ds, 0x0008, 0x1030, "LO", text("DEMO KNEE"))
	element(&ds, 0x0010, 0x0010, "PN", text("Demo^Patient"))
	element(&ds, 0x0010, 0x0020, "LO", text("DEMO-0001"))
	element(&ds, 0x0020, 0x000D, "UI", text(uid()))
	element(&ds, 0x0020, 0x000E, "UI", text(uid()))
	element(&ds, 0x0028, 0x0002, "US", u16(1))
	element(&ds, 0x0028, 0x0004, "CS", text("MONOCHROME2"))
	element(&ds, 0x0028, 0x0010, "US", u16(uint16(side)))
	element(&ds, 0x0028, 0x0011, "US", u16(uint16(side)))
	element(&ds, 0x0028, 0x0100, "US", u16(16))
	element(&ds, 0x0028, 0x0101, "US", u16(12))
	element(&ds, 0x0028, 0x0102, "US", u16(11))
	element(&ds, 0x0028, 0x0103, "US", u16(0))
	pixels := make([]byte, side*side*2)
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			binary.LittleEndian.PutUint16(pixels[2*(y*side+x):], uint16((x+y)*4095/(2*side)))
		}
	}
	element(&ds, 0x7FE0, 0x0010, "OW", pixels)

	var f bytes.Buffer
	f.Write(make([]byte, 128))
	f.WriteString("DICM")
	element(&f, 0x0002, 0x0000, "UL", u32(uint32(meta.Len())))
	f.Write(meta.Bytes())
	f.Write(ds.Bytes())
	return f.Bytes()
}

// element writes one explicit-VR little-endian data element.
func element(w *bytes.Buffer, group, elem uint16, vr string, value []byte) {
	if len(value)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" || vr == "OB" {
			pad = 0
		}
		value = append(value, pad)
	}
	binary.Write(w, binary.LittleEndian, group)
	binary.Write(w, binary.LittleEndian, elem)
	w.WriteString(vr)
	switch vr {
	case "OB", "OW", "SQ", "UN", "UT":
		w.Write([]byte{0, 0})
		binary.Write(w, binary.LittleEndian, uint32(len(value)))
	default:
		binary.Write(w, binary.LittleEndian, uint16(len(value)))
	}
	w.Write(value)
}

func text(s string) []byte { return []byte(s) }

func u16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// uid is a random UID under the 2.25 (UUID-derived) root.
func uid() string {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err)
	}
	return "2.25." + n.String()
}
