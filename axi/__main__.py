from axi.cli import main

if __name__ == "__main__":  # a spawned index worker imports this module again as __mp_main__
    main()
