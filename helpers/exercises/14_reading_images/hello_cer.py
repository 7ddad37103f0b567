from otter.test_files import test_case

from helpers.exercises import close

OK_FORMAT = False
name = "hello_cer"


@test_case(success_message="One substitution in five characters. The CER counts edits "
                           "(insertions, deletions, substitutions) over the length of the "
                           "truth.",
           failure_message="Hint: how many single-character edits turn HELL0 into HELLO, and "
                           "how long is the truth? Give a fraction, not a percentage.")
def test_hello_cer(hello_cer):
    from helpers.reading.cer import cer

    close(hello_cer, cer(["HELL0"], ["HELLO"]), "hello_cer", within=0.005)
