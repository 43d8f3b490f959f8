module asbench/schedgo

go 1.19
