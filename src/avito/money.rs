//! Money with its unit in its type: the API mixes kopecks (stats v2, CPA balance) and roubles
//! (wallet balance, spendings), and a mix-up would be off by a factor of 100.

use serde::{Deserialize, Serialize};

/// An amount in kopecks (1/100 rouble).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Kopecks(pub i64);

/// An amount in roubles, possibly fractional.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
pub struct Roubles(pub f64);

impl Kopecks {
    /// From an API value in kopecks that may come as a float.
    pub fn from_api(value: f64) -> Self {
        Kopecks(value.round() as i64)
    }

    pub fn to_roubles(self) -> Roubles {
        Roubles(self.0 as f64 / 100.0)
    }
}

impl Roubles {
    pub fn to_kopecks(self) -> Kopecks {
        Kopecks((self.0 * 100.0).round() as i64)
    }
}

impl std::ops::Add for Kopecks {
    type Output = Kopecks;
    fn add(self, rhs: Kopecks) -> Kopecks {
        Kopecks(self.0 + rhs.0)
    }
}

impl std::iter::Sum for Kopecks {
    fn sum<I: Iterator<Item = Kopecks>>(iter: I) -> Kopecks {
        Kopecks(iter.map(|k| k.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kopecks_convert_to_roubles_and_back() {
        assert_eq!(Kopecks(12_345).to_roubles(), Roubles(123.45));
        assert_eq!(Roubles(123.45).to_kopecks(), Kopecks(12_345));
        assert_eq!(Kopecks::from_api(99.6), Kopecks(100));
        assert_eq!(Kopecks(-5000).to_roubles(), Roubles(-50.0));
    }
}
