//! A compact set of custom_ids, each with a line number: the memory that grows with the input.
//!
//! A `HashMap<String, u64>` costs about 90 bytes per short id (a heap allocation per id
//! plus a sparse table). Here the ids live back to back in one byte arena and the table
//! holds 16-byte slots pointing into it: about 16–32 bytes of table plus the id's own
//! length per id, so a million 11-character ids take about 45 MB instead of 90.

use std::hash::BuildHasher;

/// One table entry: where the id is in the arena, its length, and its line.
#[derive(Debug, Clone, Copy)]
struct Slot {
    offset: u64,
    /// `u32::MAX` marks an empty slot.
    len: u32,
    line: u32,
}

const EMPTY: Slot = Slot {
    offset: 0,
    len: u32::MAX,
    line: 0,
};

/// An insert-only set of ids, each remembered with the (first) line it was seen on.
#[derive(Debug)]
pub(crate) struct IdSet {
    arena: Vec<u8>,
    slots: Vec<Slot>,
    len: usize,
    hasher: std::hash::RandomState,
}

impl Default for IdSet {
    fn default() -> Self {
        IdSet {
            arena: Vec::new(),
            slots: vec![EMPTY; 16],
            len: 0,
            hasher: std::hash::RandomState::new(),
        }
    }
}

impl IdSet {
    /// Ids in the set.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn id_at(&self, slot: Slot) -> &[u8] {
        let start = slot.offset as usize;
        &self.arena[start..start + slot.len as usize]
    }

    /// The slot index holding `id`, or the empty one where it would go.
    fn find(&self, id: &[u8]) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = (self.hasher.hash_one(id) as usize) & mask;
        loop {
            let slot = self.slots[i];
            if slot.len == u32::MAX || self.id_at(slot) == id {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The line `id` was first seen on, if it is in the set.
    pub(crate) fn get(&self, id: &str) -> Option<u64> {
        let slot = self.slots[self.find(id.as_bytes())];
        (slot.len != u32::MAX).then_some(u64::from(slot.line))
    }

    /// True when `id` is in the set.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Adds `id` first seen on `line`; returns the earlier line when it was already there.
    pub(crate) fn insert(&mut self, id: &str, line: u64) -> Option<u64> {
        let bytes = id.as_bytes();
        let i = self.find(bytes);
        if self.slots[i].len != u32::MAX {
            return Some(u64::from(self.slots[i].line));
        }
        // Longer ids than 4 GiB cannot come from one input line of a sane file; cut the
        // length rather than fail (such an id still matches itself).
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX - 1);
        self.slots[i] = Slot {
            offset: self.arena.len() as u64,
            len,
            line: u32::try_from(line).unwrap_or(u32::MAX),
        };
        self.arena.extend_from_slice(&bytes[..len as usize]);
        self.len += 1;
        // Keep the table at most 3/4 full so probe sequences stay short.
        if self.len * 4 > self.slots.len() * 3 {
            self.grow();
        }
        None
    }

    fn grow(&mut self) {
        let bigger = vec![EMPTY; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, bigger);
        for slot in old.into_iter().filter(|s| s.len != u32::MAX) {
            let i = self.find(self.id_at(slot));
            self.slots[i] = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_with_their_first_line_across_growth() {
        let mut set = IdSet::default();
        for i in 0..10_000u64 {
            assert_eq!(set.insert(&format!("id-{i}"), i + 1), None);
        }
        assert_eq!(set.len(), 10_000);
        assert_eq!(set.insert("id-42", 99_999), Some(43));
        assert_eq!(set.get("id-9999"), Some(10_000));
        assert!(set.contains("id-0") && !set.contains("id-10000") && !set.contains(""));
        assert_eq!(set.insert("", 7), None);
        assert!(set.contains(""));
    }
}
