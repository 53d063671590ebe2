import YingjiCore
