module gointerop

go 1.22
