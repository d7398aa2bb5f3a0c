//! RTP port allocation: an even RTP port and the odd RTCP port above it, from the configured
//! range, bound at once (a port in use by another program is skipped) and released when the
//! [`PortPair`] is dropped (at hang-up).

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};

use crate::metrics::{add, Metrics};

/// The allocator (shared by every call).
#[derive(Debug)]
pub struct PortAllocator {
    bind_ip: IpAddr,
    low: u16,
    high: u16,
    state: Mutex<AllocState>,
    metrics: Arc<Metrics>,
}

#[derive(Debug)]
struct AllocState {
    in_use: BTreeSet<u16>,
    /// Next even port to try: allocation rotates through the range so a port just released is
    /// not handed out again at once (late packets of the old call would reach the new one).
    cursor: u16,
}

/// A bound RTP/RTCP socket pair; the ports return to the pool on drop.
#[derive(Debug)]
pub struct PortPair {
    /// RTP socket (even port).
    pub rtp: UdpSocket,
    /// RTCP socket (RTP port + 1).
    pub rtcp: UdpSocket,
    /// The RTP port.
    pub port: u16,
    owner: Arc<PortAllocator>,
}

impl Drop for PortPair {
    fn drop(&mut self) {
        if let Ok(mut st) = self.owner.state.lock() {
            st.in_use.remove(&self.port);
        }
        add(&self.owner.metrics.rtp_ports_in_use, -1);
    }
}

impl PortAllocator {
    /// An allocator over `low..=high`, binding on `bind_ip`.
    pub fn new(bind_ip: IpAddr, (low, high): (u16, u16), metrics: Arc<Metrics>) -> Arc<Self> {
        let first = low + (low % 2);
        Arc::new(PortAllocator {
            bind_ip,
            low: first,
            high,
            state: Mutex::new(AllocState {
                in_use: BTreeSet::new(),
                cursor: first,
            }),
            metrics,
        })
    }

    /// How many pairs the range holds.
    pub fn capacity(&self) -> usize {
        usize::from((self.high - self.low).div_ceil(2))
    }

    /// Bind the next free pair, or `None` when the range is exhausted.
    pub fn allocate(self: &Arc<Self>) -> Option<PortPair> {
        let mut st = self.state.lock().ok()?;
        for _ in 0..self.capacity() {
            let port = st.cursor;
            st.cursor = if port + 3 > self.high {
                self.low
            } else {
                port + 2
            };
            if st.in_use.contains(&port) {
                continue;
            }
            let Ok(rtp) = UdpSocket::bind(SocketAddr::new(self.bind_ip, port)) else {
                continue;
            };
            let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(self.bind_ip, port + 1)) else {
                continue;
            };
            if rtp.set_nonblocking(true).is_err() || rtcp.set_nonblocking(true).is_err() {
                continue;
            }
            st.in_use.insert(port);
            add(&self.metrics.rtp_ports_in_use, 1);
            return Some(PortPair {
                rtp,
                rtcp,
                port,
                owner: Arc::clone(self),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_pairs_and_releases_them() {
        let metrics = Arc::new(Metrics::default());
        let alloc = PortAllocator::new(
            "127.0.0.1".parse().unwrap(),
            (47100, 47105),
            metrics.clone(),
        );
        assert_eq!(alloc.capacity(), 3);
        let a = alloc.allocate().unwrap();
        let b = alloc.allocate().unwrap();
        let c = alloc.allocate().unwrap();
        let mut ports = vec![a.port, b.port, c.port];
        ports.sort();
        assert_eq!(ports, vec![47100, 47102, 47104]);
        assert_eq!(a.rtcp.local_addr().unwrap().port(), a.port + 1);
        assert!(alloc.allocate().is_none(), "range exhausted");
        assert_eq!(
            metrics
                .rtp_ports_in_use
                .load(std::sync::atomic::Ordering::Relaxed),
            3
        );
        let freed = b.port;
        drop(b);
        assert_eq!(alloc.allocate().unwrap().port, freed);
    }
}
