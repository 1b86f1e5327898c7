#!/usr/bin/env python3
"""Lets a Debian-built shared library load on an older libstdc++ by dropping
its need for one symbol version, for symbols whose older version does the
same thing.

    weaken_symbol_version.py LIB LIBRARY_FILE VERSION SYMBOL...

Every named symbol bound to VERSION of LIBRARY_FILE (e.g. libstdc++.so.6
GLIBCXX_3.4.30) becomes unversioned, so ld.so binds it to that library's
default version (GLIBCXX_3.4.30 on GCC 12, GLIBCXX_3.4.11 on RHEL 9's GCC
11), and the version's entry in .gnu.version_r is pointed at the oldest other
version the file already needs from LIBRARY_FILE (GLIBCXX_3.4), so the load-
time version check neither fails nor warns. (VER_FLG_WEAK would do, but ld.so
prints a warning for a missing weak version at every start.) Refuses when any
other symbol still needs VERSION: that one would not resolve on the older
library.
"""
import struct
import sys

SHT_DYNSYM, SHT_VERNEED, SHT_VERSYM = 11, 0x6FFFFFFE, 0x6FFFFFFF


def version_key(name):
    return [int(p) if p.isdigit() else p for p in name.replace("_", ".").split(".")]


def main(path, lib_file, version, symbols):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not a 64-bit little-endian ELF file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = []
        for i in range(shnum):
            name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
                "<IIQQQQIIQQ", data, shoff + i * shentsize)
            sections.append((typ, off, size, link, info, entsize))

        def cstr(table, offset):
            start = sections[table][1] + offset
            return data[start:data.index(b"\0", start)].decode()

        dynsym = next(i for i, s in enumerate(sections) if s[0] == SHT_DYNSYM)
        versym = next(s for s in sections if s[0] == SHT_VERSYM)
        verneed = next(s for s in sections if s[0] == SHT_VERNEED)
        dynstr = sections[dynsym][3]

        index = target = None
        others = []   # (name, hash, name offset) of the other versions needed from lib_file
        off = verneed[1]
        for _ in range(verneed[4]):
            vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, off)
            aux = off + vn_aux
            for _ in range(vn_cnt):
                hash_, flags, other, name, nxt = struct.unpack_from("<IHHII", data, aux)
                if cstr(verneed[3], vn_file) == lib_file:
                    if cstr(verneed[3], name) == version:
                        index, target = other, aux
                    else:
                        others.append((cstr(verneed[3], name), hash_, name))
                aux += nxt
            off += vn_next
        if index is None:
            print(f"{path}: needs no {version} of {lib_file}; unchanged")
            return
        if not others:
            sys.exit(f"{path}: needs no other version of {lib_file} to stand in for {version}")
        stand_in = min(others, key=lambda o: version_key(o[0]))
        struct.pack_into("<I", data, target, stand_in[1])        # vna_hash
        struct.pack_into("<I", data, target + 8, stand_in[2])    # vna_name

        count = sections[dynsym][2] // sections[dynsym][5]
        changed, left = [], []
        for i in range(count):
            st_name, = struct.unpack_from("<I", data, sections[dynsym][1] + i * sections[dynsym][5])
            vpos = versym[1] + 2 * i
            ver, = struct.unpack_from("<H", data, vpos)
            if ver & 0x7FFF != index:
                continue
            name = cstr(dynstr, st_name)
            if name in symbols:
                struct.pack_into("<H", data, vpos, 1)  # VER_NDX_GLOBAL
                changed.append(name)
            else:
                left.append(name)
        if left:
            sys.exit(f"{path}: {', '.join(left)} also need {version}; not patched")
        f.seek(0)
        f.write(data)
        print(f"{path}: {', '.join(changed)} no longer need {version} of {lib_file} "
              f"(its entry now names {stand_in[0]})")


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:]))
