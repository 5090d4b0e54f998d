fn main() {
    let path = std::env::args().nth(1).unwrap();
    match harness::scenario::load_path(std::path::Path::new(&path)) {
        Ok(s) => {
            for c in s.cases {
                println!("{} {:?}", c.name(), c.expect.login)
            }
        }
        Err(es) => {
            for e in es {
                println!("{e}")
            }
        }
    }
}
