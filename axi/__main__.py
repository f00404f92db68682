from axi.cli import main

main()
