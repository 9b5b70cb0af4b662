#!/usr/bin/env python3
"""Tiny DHCP and DNS probes for the network medium tests (stdlib only; no dhclient/dig here).

  probe.py dhcp IFACE MAC TIMEOUT_S   -> prints the offered address, or "none"
  probe.py dhcp-lease IFACE MAC TIMEOUT_S HOSTNAME -> DISCOVER, REQUEST: prints the ACKed address, or "none"
  probe.py dns SERVER NAME TIMEOUT_S  -> prints the A records (space separated), or "none"
  probe.py ping DST COUNT SIZE        -> prints "received N" (ICMP echo, DF set; no ping binary here)
  probe.py serve-whoami PORT          -> UDP server answering each datagram with the sender's address
  probe.py whoami DST PORT TIMEOUT_S  -> prints the address DST saw this client as, or "none"
"""
import os
import random
import socket
import struct
import sys
import time


def dhcp(iface, mac, timeout, request=False, hostname=''):
    """DISCOVER until an OFFER; with request, REQUEST the offer until an ACK (dnsmasq then writes a lease)."""
    chaddr = bytes(int(b, 16) for b in mac.split(':'))
    xid = random.getrandbits(32)

    def packet(options):
        # BOOTREQUEST, Ethernet, hlen 6, hops 0, xid, secs 0, flags: broadcast (we have no address yet).
        head = struct.pack('!BBBBIHH', 1, 1, 6, 0, xid, 0, 0x8000) + b'\0' * 16 + chaddr + b'\0' * 10 + b'\0' * 192
        name = bytes([12, len(hostname)]) + hostname.encode() if hostname else b''
        return head + b'\x63\x82\x53\x63' + options + name + b'\x37\x03\x01\x03\x06' + b'\xff'

    def message_type(data):
        i = 240
        while i < len(data) and data[i] != 255:
            if data[i] == 0:
                i += 1
                continue
            if data[i] == 53:
                return data[i + 2], data
            i += 2 + data[i + 1]
        return None, data

    def option(data, code):
        i = 240
        while i < len(data) and data[i] != 255:
            if data[i] == 0:
                i += 1
                continue
            if data[i] == code:
                return data[i + 2:i + 2 + data[i + 1]]
            i += 2 + data[i + 1]
        return None

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind(('0.0.0.0', 68))
    deadline = time.monotonic() + timeout
    pkt = packet(b'\x35\x01\x01')
    want = 2  # OFFER
    next_send = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() >= next_send:
            s.sendto(pkt, ('255.255.255.255', 67))
            next_send = time.monotonic() + 1.0
        s.settimeout(max(0.05, min(next_send, deadline) - time.monotonic()))
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            continue
        if len(data) < 240 or data[0] != 2 or struct.unpack('!I', data[4:8])[0] != xid:
            continue
        kind, _ = message_type(data)
        if kind != want:
            continue
        yiaddr = data[16:20]
        if want == 2 and request:
            server = option(data, 54) or b''
            pkt = packet(b'\x35\x01\x03' + b'\x32\x04' + yiaddr + b'\x36\x04' + server)
            want = 5  # ACK
            next_send = 0.0
            continue
        print(socket.inet_ntoa(yiaddr))
        return
    print('none')


def dns(server, name, timeout):
    qid = random.getrandbits(16)
    q = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    q += b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0' + struct.pack('!HH', 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(q, (server, 53))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        print('none')
        return
    _, flags, qd, an, _, _ = struct.unpack('!HHHHHH', data[:12])
    i = 12
    for _ in range(qd):
        while data[i] != 0:
            i += data[i] + 1
        i += 5
    out = []
    for _ in range(an):
        if data[i] & 0xC0 == 0xC0:
            i += 2
        else:
            while data[i] != 0:
                i += data[i] + 1
            i += 1
        rtype, _, _, rdlen = struct.unpack('!HHIH', data[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(data[i:i + 4]))
        i += rdlen
    print(' '.join(out) if out else 'none')


def checksum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ping(dst, count, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO: never fragment
    ident = os.getpid() & 0xffff
    received = 0
    for seq in range(count):
        payload = bytes(size)
        hdr = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
        pkt = struct.pack('!BBHHH', 8, 0, checksum(hdr + payload), ident, seq) + payload
        try:
            s.sendto(pkt, (dst, 0))
        except OSError as e:
            print('send failed: %s' % e, file=sys.stderr)
            continue
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data, addr = s.recvfrom(65535)
            except socket.timeout:
                break
            ihl = (data[0] & 15) * 4
            typ, _, _, rid, rseq = struct.unpack('!BBHHH', data[ihl:ihl + 8])
            if typ == 0 and rid == ident and rseq == seq and addr[0] == dst:
                received += 1
                break
    print('received %d' % received)


def serve_whoami(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', port))
    print('ready', flush=True)
    while True:
        _, addr = s.recvfrom(2048)
        s.sendto(addr[0].encode(), addr)


def whoami(dst, port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.sendto(b'?', (dst, port))
        s.settimeout(0.5)
        try:
            data, _ = s.recvfrom(2048)
            print(data.decode())
            return
        except (socket.timeout, ConnectionRefusedError):
            continue
    print('none')


if __name__ == '__main__':
    kind = sys.argv[1]
    if kind == 'dhcp':
        dhcp(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif kind == 'dhcp-lease':
        dhcp(sys.argv[2], sys.argv[3], float(sys.argv[4]), request=True, hostname=sys.argv[5])
    elif kind == 'dns':
        dns(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif kind == 'serve-whoami':
        serve_whoami(int(sys.argv[2]))
    elif kind == 'whoami':
        whoami(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif kind == 'ping':
        ping(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit('usage: probe.py dhcp IFACE MAC TIMEOUT | dhcp-lease IFACE MAC TIMEOUT HOSTNAME | dns SERVER NAME TIMEOUT | ping DST COUNT SIZE')
